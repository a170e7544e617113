"""The staff desk (CONTRACT section 6): a Chinese web interface over the same services as the command line and
the flows. Starlette with Jinja2 templates (autoescaped) and htmx shipped in ``static/`` (no CDN); server-side
sessions (starsessions over :mod:`gongkai.accounts.sessions`), CSRF tokens on every change (asgi-csrf), Argon2
passwords (:mod:`gongkai.accounts.passwords`); roles are checked in the services, never only here."""
