"""The service layer: every action a person or a schedule takes, as one function.

Each service takes the open session (or the office's unit of work) and the acting :class:`~gongkai.services.actor.Actor`,
checks what that actor may do (roles of ``[[staff]]``), calls the domain packages and returns a typed result
(a dataclass; ``--json`` output is its serialisation). The command line, the Prefect flows and tasks, and
the staff desk are thin adapters over these functions and never reach the domain around them.
"""
