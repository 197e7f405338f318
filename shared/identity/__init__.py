"""Sign-in with Gosuslugi (ESIA) or development fixture people, one session token for both
services, and the registry of organisations and roles.

Services call :func:`identity_components` once; handlers take a ``session`` parameter or use
the guards :func:`requires_permission` and :func:`requires_role`.
"""

from shared.identity.claims import OrganisationGrant, Permission, Role, Session
from shared.identity.components import IdentityComponents, identity_components
from shared.identity.guards import (
    OptionalSessionDependency,
    SessionDependency,
    current_session,
    optional_session,
    requires_permission,
    requires_role,
    requires_session,
)
from shared.identity.person import RegistrationAddress, VerifiedPerson
from shared.identity.provider import IdentityProvider

__all__ = (
    "IdentityComponents",
    "IdentityProvider",
    "OptionalSessionDependency",
    "OrganisationGrant",
    "Permission",
    "RegistrationAddress",
    "Role",
    "Session",
    "SessionDependency",
    "VerifiedPerson",
    "current_session",
    "identity_components",
    "optional_session",
    "requires_permission",
    "requires_role",
    "requires_session",
)
