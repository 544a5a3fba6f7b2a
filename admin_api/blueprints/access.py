"""Who may call what: the access rules the blueprints use."""

from __future__ import annotations

from admin_api.security.principal import Access

PUBLIC = Access(public=True)
SIGNED_IN = Access(frozenset({"admin", "agent", "customer"}))
CUSTOMERS = Access(frozenset({"customer"}))
ADMINS = Access(frozenset({"admin"}))
USERS_READ = Access(frozenset({"admin"}), "users:read")
USERS_WRITE = Access(frozenset({"admin"}), "users:write")
GDPR = Access(frozenset({"admin"}), "gdpr")
STAFF_READ = Access(frozenset({"admin", "agent"}), "conversations:read")
STAFF_WRITE = Access(frozenset({"admin", "agent"}), "conversations:write")
# Memory, sessions and personalization (issue 13): staff, and keys with the conversations' scopes.
MEMORY_READ = SESSIONS_READ = PERSONALIZATION_READ = STAFF_READ
MEMORY_WRITE = SESSIONS_WRITE = PERSONALIZATION_WRITE = STAFF_WRITE
EXPORT = Access(frozenset({"admin"}), "export")
ANALYTICS = Access(frozenset({"admin"}), "analytics:read")
