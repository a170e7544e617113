"""Gongkai: the open-government-information (政府信息公开) work of a local office.

Packages by domain, lowest first (each one's docstring says what it owns; import-linter checks the layers,
see ``tests/lint_imports.py`` and the README's picture):

- ``core`` (errors, vocabularies, dates, clock seam, settings), ``store`` (models, database, migrations),
  ``files`` (tables, templates, terminal tables);
- the domain: ``register``, ``catalogue``, ``review``, ``notify``, ``reminders``, ``report``, ``demo``;
- ``services``: every action a person or a schedule takes, with the actor's roles checked;
- adapters: ``cli`` (the command line), ``flows`` and ``tasks`` (Prefect; the repository's top-level
  ``flows/`` and ``tasks/`` folders, shipped as ``gongkai.flows`` and ``gongkai.tasks``), ``runtime``.

The domain never imports Prefect, click or a web framework.
"""

__version__ = "0.1.0"
