"""Sign-up, sign-in and sessions over HTTP, on SQLite and PostgreSQL: an e-mailed code before
the first sign-in, rotating refresh tokens (a replayed one ends the session), logout that holds
after a restart, throttling with Retry-After, two-factor codes, API keys."""

from __future__ import annotations

import time
import uuid

import pyotp
import sqlalchemy as sa

from admin_api.security.tokens import issue_access
from assistant.identity import links
from assistant.store.account_models import Account
from assistant.store.models import ChannelIdentity, OutboundEmail
from tests.admin_api.conftest import ADMIN_EMAIL, PASSWORD, Api
from tests.admin_api.server import ApiServer, Client, data
from tests.channels.chat import SECRET


def sign_up(api: Api, email: str, name: str = "New Customer") -> dict:
    registered = api.anonymous.post(
        "/api/auth/register", {"email": email, "password": PASSWORD, "name": name}
    )
    assert data(registered, 201)["email_verified"] is False
    with api.store.session() as s:
        mail = s.scalars(sa.select(OutboundEmail).where(OutboundEmail.to_address == email)
                         .order_by(OutboundEmail.id.desc())).first()  # fmt: skip
    assert mail.secret and "{secret}" in mail.body and mail.secret not in mail.body
    assert api.anonymous.post("/api/auth/login", {"email": email, "password": PASSWORD}).json()["error"][
        "code"
    ] == ("EMAIL_NOT_VERIFIED")
    wrong = api.anonymous.post(
        "/api/auth/verify-email", {"email": email, "password": PASSWORD, "code": "000000"}
    )
    assert wrong.status_code == 401 or mail.secret == "000000"
    verified = api.anonymous.post(
        "/api/auth/verify-email", {"email": email, "password": PASSWORD, "code": mail.secret}
    )
    return data(verified)


def test_a_customer_signs_up_with_a_code_and_gets_the_token_the_web_channel_accepts(api: Api) -> None:
    email = f"new-{uuid.uuid4().hex[:8]}@example.org"
    signed = sign_up(api, email)
    user, token = signed["user"], signed["token"]
    assert user["role"] == "customer" and user["email_verified"] and user["customer_id"]
    assert "password" not in str(user) and token["token_type"] == "Bearer" and token["expires_in"] == 900
    from channels.auth import decode_token  # the web channel's own check of the token

    identity = decode_token(token["access_token"], SECRET)
    assert identity.id == f"customer-{user['customer_id']}" and identity.role == "customer"
    assert links.resolve(api.store, "webchat", identity.id, "jwt").customer_id == user["customer_id"]
    profile = data(api.client(token["access_token"]).get("/api/auth/profile"))
    assert profile["email"] == email


def test_registering_an_existing_address_says_the_same_and_links_nothing(api: Api) -> None:
    answer = api.anonymous.post(
        "/api/auth/register", {"email": ADMIN_EMAIL, "password": PASSWORD, "name": "X"}
    )
    assert data(answer, 201)["message"].startswith("Check your e-mail")
    with api.store.session() as s:
        admin = s.scalars(sa.select(Account).where(Account.email == ADMIN_EMAIL)).one()
    assert admin.role == "admin" and admin.name == "Ada Admin"


def test_refresh_tokens_rotate_and_a_replayed_one_ends_the_session(api: Api) -> None:
    first = data(api.anonymous.post("/api/auth/login", {"email": ADMIN_EMAIL, "password": PASSWORD}))["token"]
    second = data(api.anonymous.post("/api/auth/refresh", {"refresh_token": first["refresh_token"]}))["token"]
    assert second["refresh_token"] != first["refresh_token"]
    replayed = api.anonymous.post("/api/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert replayed.status_code == 401 and replayed.json()["error"]["code"] == "INVALID_REFRESH_TOKEN"
    after = api.anonymous.post("/api/auth/refresh", {"refresh_token": second["refresh_token"]})
    assert after.status_code == 401, "the whole session ended when the old token came back"


def test_logout_revokes_the_token_and_the_session_across_a_restart(api: Api) -> None:
    token = data(api.anonymous.post("/api/auth/login", {"email": ADMIN_EMAIL, "password": PASSWORD}))["token"]
    me = api.client(token["access_token"])
    assert data(me.post("/api/auth/logout", {"refresh_token": token["refresh_token"]}))["sessions_ended"] == 1
    restarted = ApiServer(api.settings).start()
    try:
        again = Client(restarted.url, token["access_token"]).get("/api/auth/profile")
        assert again.status_code == 401 and again.json()["error"]["code"] == "TOKEN_REVOKED"
        refreshed = Client(restarted.url).post("/api/auth/refresh", {"refresh_token": token["refresh_token"]})
        assert refreshed.status_code == 401
    finally:
        restarted.stop()


def test_expired_and_forged_tokens_are_refused(api: Api) -> None:
    account = api.accounts[ADMIN_EMAIL]
    expired = issue_access(SECRET, account.id, account.id, "admin", "Ada", -1)[0]
    forged = issue_access("another-secret-another-secret-12345", account.id, account.id, "admin", "Ada", 15)[
        0
    ]
    answer = api.client(expired).get("/api/auth/profile")
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "TOKEN_EXPIRED"
    assert api.client(forged).get("/api/auth/profile").status_code == 401
    assert api.anonymous.get("/api/auth/profile", headers={"Authorization": "Basic abc"}).status_code == 401


def test_wrong_passwords_are_throttled_per_account_with_retry_after(api: Api) -> None:
    email = f"throttled-{uuid.uuid4().hex[:6]}@example.org"
    data(
        api.admin.post(
            "/api/admin/users", {"email": email, "name": "T", "role": "agent", "password": PASSWORD}
        ),
        201,
    )
    for _ in range(api.settings.login_failures_per_account):
        wrong = api.anonymous.post("/api/auth/login", {"email": email, "password": "wrong password"})
        assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "INVALID_CREDENTIALS"
    blocked = api.anonymous.post("/api/auth/login", {"email": email, "password": PASSWORD})
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert blocked.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"


def test_two_factor_sign_in(api: Api) -> None:
    email = f"otp-{uuid.uuid4().hex[:6]}@example.org"
    data(
        api.admin.post(
            "/api/admin/users", {"email": email, "name": "O", "role": "agent", "password": PASSWORD}
        ),
        201,
    )
    me = api.client(
        data(api.anonymous.post("/api/auth/login", {"email": email, "password": PASSWORD}))["token"][
            "access_token"
        ]
    )
    secret = data(me.post("/api/auth/totp/setup"), 201)["secret"]
    assert me.post("/api/auth/totp/enable", {"code": "000000"}).status_code in (401, 200)
    data(me.post("/api/auth/totp/enable", {"code": pyotp.TOTP(secret).now()}))
    needed = api.anonymous.post("/api/auth/login", {"email": email, "password": PASSWORD})
    assert needed.status_code == 401 and needed.json()["error"]["code"] == "TOTP_REQUIRED"
    code = pyotp.TOTP(secret).at(time.time() + 30)  # the next step's code (each code works once)
    assert (
        api.anonymous.post(
            "/api/auth/login", {"email": email, "password": PASSWORD, "totp_code": code}
        ).status_code
        == 200
    )
    reused = api.anonymous.post("/api/auth/login", {"email": email, "password": PASSWORD, "totp_code": code})
    assert reused.status_code == 401 and reused.json()["error"]["code"] == "INVALID_TOTP"


def test_api_keys_are_shown_once_stored_hashed_scoped_and_revocable(api: Api) -> None:
    created = data(api.admin.post("/api/admin/api-keys", {"name": "crm sync", "scopes": ["users:read"]}), 201)
    key = created["key"]
    with api.store.session() as s:
        stored = str(s.execute(sa.text("SELECT * FROM api_keys WHERE id = :id"), {"id": created["id"]}).one())
    assert key not in stored and created["prefix"] in key
    service = api.client(api_key=key)
    assert data(service.get("/api/admin/users"))
    assert service.post("/api/admin/users", {}).status_code == 403
    assert service.get("/api/admin/conversations").status_code == 403
    assert "key" not in data(api.admin.get("/api/admin/api-keys"))[0]
    data(api.admin.delete(f"/api/admin/api-keys/{created['id']}"))
    assert service.get("/api/admin/users").status_code == 401
    assert api.client(api_key="nwk_nothing_here").get("/api/admin/users").status_code == 401


def test_every_answer_has_the_envelope_and_a_request_id(api: Api) -> None:
    answer = api.anonymous.get("/api/auth/profile", headers={"X-Request-Id": "trace-123"})
    body = answer.json()
    assert answer.headers["X-Request-Id"] == "trace-123" and body["meta"]["request_id"] == "trace-123"
    assert body["success"] is False and set(body["error"]) >= {"code", "message", "details"}
    missing = api.anonymous.get("/api/nothing/here")
    assert missing.status_code == 404 and missing.json()["success"] is False
    not_json = api.anonymous.post(
        "/api/auth/login", data=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 400 and not_json.json()["error"]["code"] == "BAD_REQUEST"
    odd = api.anonymous.post(
        "/api/auth/login", data=b"Infinity", headers={"Content-Type": "application/json"}
    )
    assert odd.status_code == 422 and odd.json()["success"] is False
    huge = api.anonymous.post("/api/auth/login", data=b"x" * 300_000)
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    invalid = api.anonymous.post("/api/auth/register", {"email": "nope", "password": "short"})
    fields = {e["field"] for e in invalid.json()["error"]["validation_errors"]}
    assert invalid.status_code == 422 and {"email", "password", "name"} <= fields


def test_a_linked_web_login_exists_for_the_demo_customer_with_an_account(api: Api) -> None:
    with api.store.session() as s:
        row = s.scalars(sa.select(ChannelIdentity).where(ChannelIdentity.external_id == "customer-1")).one()
    assert row.customer_id == 1 and row.verified_by == "jwt"


def test_changing_the_password_ends_every_session(api: Api) -> None:
    email = f"pw-{uuid.uuid4().hex[:6]}@example.org"
    data(
        api.admin.post(
            "/api/admin/users", {"email": email, "name": "P", "role": "agent", "password": PASSWORD}
        ),
        201,
    )
    signed = data(api.anonymous.post("/api/auth/login", {"email": email, "password": PASSWORD}))["token"]
    me = api.client(signed["access_token"])
    wrong = me.post("/api/auth/password", {"current_password": "nope", "new_password": "a new long password"})
    assert wrong.status_code == 401
    data(me.post("/api/auth/password", {"current_password": PASSWORD, "new_password": "a new long password"}))
    assert me.get("/api/auth/profile").status_code == 401
    assert (
        api.anonymous.post("/api/auth/refresh", {"refresh_token": signed["refresh_token"]}).status_code == 401
    )
    assert (
        api.anonymous.post("/api/auth/login", {"email": email, "password": "a new long password"}).status_code
        == 200
    )
