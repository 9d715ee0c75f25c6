"""What a caller may see and change: one org, and within it all sites or only some.

Only viewers are site-scoped. The store enforces a scope for reads and writes alike: queries are
limited to the scope's sites, and reading or changing an event outside them raises
:class:`~shared.model.errors.ScopeError` (403 ``forbidden`` at the edge).
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.model.errors import ScopeError


@dataclass(frozen=True)
class Scope:
    """An org, and the sites of it a caller may reach (None: every site)."""

    org_id: str
    sites: frozenset[str] | None = None

    def check(self, site_id: str) -> None:
        """Raise ScopeError when ``site_id`` is outside this scope."""
        if self.sites is not None and site_id not in self.sites:
            raise ScopeError("this event belongs to a site outside your access")

    def query_sites(self, requested_site: str | None) -> tuple[str, ...] | None:
        """The sites a query must be limited to; None when the filter alone decides.

        Asking a site-scoped query for a site outside the scope raises ScopeError.
        """
        if self.sites is None:
            return None
        if requested_site is not None:
            self.check(requested_site)
            return None
        return tuple(sorted(self.sites))
