"""Gongkai: the open-government-information (政府信息公开) work of a local office.

Packages by domain, lowest first (each one's docstring says what it owns; import-linter checks the layers
and that nothing imports in a cycle: pyproject ``[tool.importlinter]``, run by ``tests/test_lint.py``; the
README's picture shows them):

- ``core`` (errors, vocabularies, message kinds, dates, clock seam, settings), ``store`` (models and table
  handles, database, migrations, schedule progress, year lock), ``files`` (tables, templates, terminal tables);
- the domain, lowest first: ``register`` and ``notify``; ``review``; ``catalogue``, ``reminders`` and
  ``report``; ``demo``;
- ``services``: every action a person or a schedule takes, with the actor's roles checked;
- adapters: ``cli`` (the command line), ``flows`` and ``tasks`` (Prefect; the repository's top-level
  ``flows/`` and ``tasks/`` folders, shipped as ``gongkai.flows`` and ``gongkai.tasks``), ``runtime``.

The domain never imports Prefect, click or a web framework.
"""

__version__ = "0.1.0"
