"""The pages of a service as one Litestar plugin: templates, static files and page routes.

A page handler for signed-in people takes ``signed_in: NamedDependency[Session]``; one of a
page form takes ``signed_form: NamedDependency[SignedForm]`` (the form after its CSRF check,
and the sender's session). Without a session the request is answered, before the handler
runs, with the way to sign in and back.

A service adds its pages with one line in ``create_app``::

    build_app(..., plugins=[polls_pages(settings)])
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from litestar.config.app import AppConfig
from litestar.datastructures import CacheControlHeader
from litestar.di import Provide
from litestar.plugins import InitPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import ControllerRouterHandler

from shared.config import SIGN_IN_SERVICE, Settings
from shared.identity.territory.pages import territory_pages
from shared.web.ui.errors import with_html_errors
from shared.web.ui.pages import (
    SignInRequiredError,
    UiSettings,
    sign_in_redirect,
    signed_form,
    signed_in,
)
from shared.web.ui.templating import make_environment
from shared.web.ui.widget_sign_in import widget_sign_in_pages

__all__ = ("STATIC_DIR", "STATIC_PATH", "UiPlugin")

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PATH = "/static/ui"


class UiPlugin(InitPlugin):
    """Templates (shared layout first overridden by ``templates``), ``/static/ui`` and the
    service's page handlers."""

    __slots__ = ("_handlers", "_settings", "_templates")

    def __init__(
        self,
        settings: UiSettings,
        templates: Sequence[Path],
        handlers: Sequence[ControllerRouterHandler],
    ) -> None:
        self._settings = settings
        self._templates = tuple(templates)
        self._handlers = tuple(handlers)

    @classmethod
    def for_service(
        cls,
        service: str,
        settings: Settings,
        templates: Sequence[Path],
        handlers: Sequence[ControllerRouterHandler],
    ) -> UiPlugin:
        """The service's pages, plus the pages every service serves with sign-in (the
        operators' page of refused address codes), and on the sign-in component the end of
        the widget's sign-in."""
        ui = UiSettings(
            service=service,
            polls_url=settings.public_urls["polls"],
            discussions_url=settings.public_urls["discussions"],
            secure_cookies=settings.security.secure_cookies,
        )
        common = [*territory_pages()]
        if service == SIGN_IN_SERVICE:
            common.extend(widget_sign_in_pages())
        return cls(ui, templates, [*handlers, *common])

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        environment = make_environment(self._templates)
        app_config.template_config = TemplateConfig(
            engine=JinjaTemplateEngine.from_environment(environment)
        )
        app_config.state["ui"] = self._settings
        # A page route's error is a page; API routes keep their problem+json.
        app_config.exception_handlers = {
            **with_html_errors(app_config.exception_handlers),
            SignInRequiredError: sign_in_redirect,
        }
        app_config.dependencies = {
            **app_config.dependencies,
            "signed_in": Provide(signed_in, sync_to_thread=False),
            "signed_form": Provide(signed_form),
        }
        static = create_static_files_router(
            STATIC_PATH,
            [STATIC_DIR],
            name="ui-static",
            cache_control=CacheControlHeader(max_age=3600, public=True),
            include_in_schema=False,
        )
        app_config.route_handlers = [*app_config.route_handlers, static, *self._handlers]
        return app_config
