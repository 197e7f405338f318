"""The admins' registry: pages and API routes to register organisations (territory, embedding
sites), grant and revoke roles by pseudonymous id or invitation link, and read the audit trail.

Only the sign-in component (polls) mounts them, since it alone writes the identity database::

    build_app(..., route_handlers=[..., *admin_handlers()])
"""

from litestar.types import ControllerRouterHandler

from shared.identity.admin.http import admin_routes
from shared.identity.admin.pages import ADMIN_MESSAGES, admin_pages

__all__ = ("ADMIN_MESSAGES", "admin_handlers")


def admin_handlers() -> list[ControllerRouterHandler]:
    """The registry's API routes and pages."""
    return [*admin_routes(), *admin_pages()]
