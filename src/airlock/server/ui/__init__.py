"""The server-rendered admin UI (``/admin/ui/…``): read-only pages over the same data as the
admin API's JSON twins (see docs/admin-ui.md).

:mod:`~airlock.server.ui.data` builds each page's data, :mod:`~airlock.server.ui.auditlog`
reads the decision log newest-first, :mod:`~airlock.server.ui.session` holds the browser
session, :mod:`~airlock.server.ui.pages` the routes and :mod:`~airlock.server.ui.render` the
autoescaped templates in ``templates/``.
"""

from __future__ import annotations

from airlock.server.ui.pages import routes

__all__ = ["routes"]
