"""``/api/auth``: register (customers), confirm the e-mail, sign in, refresh, sign out,
profile, two-factor sign-in."""

from __future__ import annotations

from sanic import Blueprint
from sanic.response import HTTPResponse

from admin_api.accounts import profile, registration, sessions
from admin_api.accounts.views import user_view
from admin_api.blueprints.access import PUBLIC, SIGNED_IN
from admin_api.routing import Call, endpoint
from admin_api.schemas import EMAIL, NAME, PASSWORD, boolean, obj, string

CODE = string(6, 6, pattern=r"^\d{6}$")
TOKEN = string(20, 200)
LOGIN = obj({"email": EMAIL, "password": string(1, 200), "totp_code": CODE, "remember_me": boolean()},
            ["email", "password"])  # fmt: skip
REGISTER = obj({"email": EMAIL, "password": PASSWORD, "name": NAME, "terms_accepted": boolean(),
                "marketing_consent": boolean()}, ["email", "password", "name"])  # fmt: skip
PREFERENCES = {"type": "object", "maxProperties": 20, "additionalProperties": string(0, 200)}
SIGNED_IN_RESPONSE = obj({"user": {"type": "object"}, "token": {"type": "object"}})


def blueprint() -> Blueprint:
    bp = Blueprint("auth")

    @endpoint(bp, "POST", "/api/auth/register", summary="Register as a customer", access=PUBLIC,
              body=REGISTER, status=201)  # fmt: skip
    async def register(call: Call) -> HTTPResponse:
        """Creates the account and e-mails a 6-digit code; confirm it at /api/auth/verify-email.
        The answer is the same whether or not the address is registered already."""
        b = call.body
        await call.services.run(
            registration.register, call.services.store, b["email"], b["password"], b["name"]
        )
        message = "Check your e-mail for the code that confirms your address."
        return call.ok(
            {"email": b["email"].strip().lower(), "email_verified": False, "message": message}, 201
        )

    @endpoint(bp, "POST", "/api/auth/verify-email", summary="Confirm the e-mail address and sign in",
              access=PUBLIC, body=obj({"email": EMAIL, "code": CODE, "password": string(1, 200)},
                                      ["email", "code", "password"]), response=SIGNED_IN_RESPONSE)  # fmt: skip
    async def verify_email(call: Call) -> HTTPResponse:
        b, services = call.body, call.services
        account = await services.run(
            registration.verify_email, services.store, b["email"], b["code"], b["password"]
        )
        tokens = await services.run(
            sessions.new_session, services.store, services.settings, services.jwt_secret, account
        )
        return call.ok({"user": user_view(account), "token": tokens})

    @endpoint(bp, "POST", "/api/auth/login", summary="Sign in", access=PUBLIC, body=LOGIN,
              response=SIGNED_IN_RESPONSE)  # fmt: skip
    async def login(call: Call) -> HTTPResponse:
        """Throttled per account and per address (429 with Retry-After); asks for the
        authenticator code (``TOTP_REQUIRED``) when two-factor sign-in is on."""
        b, s = call.body, call.services
        signed = await s.run(sessions.login, s.store, s.settings, s.jwt_secret, b["email"], b["password"],
                             b.get("totp_code"), call.ip)  # fmt: skip
        return call.ok({"user": user_view(signed.account), "token": signed.tokens})

    @endpoint(bp, "POST", "/api/auth/refresh", summary="New tokens for a refresh token (rotated)",
              access=PUBLIC, body=obj({"refresh_token": TOKEN}, ["refresh_token"]), response=SIGNED_IN_RESPONSE)  # fmt: skip
    async def refresh(call: Call) -> HTTPResponse:
        s = call.services
        signed = await s.run(sessions.refresh, s.store, s.settings, s.jwt_secret, call.body["refresh_token"])
        return call.ok({"user": user_view(signed.account), "token": signed.tokens})

    @endpoint(bp, "POST", "/api/auth/logout", summary="Sign out: revoke this token and the session",
              access=SIGNED_IN, body=obj({"refresh_token": TOKEN}))  # fmt: skip
    async def logout(call: Call) -> HTTPResponse:
        s = call.services
        ended = await s.run(sessions.logout, s.store, call.principal, call.body.get("refresh_token"))
        s.forget_presence(call.principal.id)
        return call.ok({"logged_out": True, "sessions_ended": ended})

    @endpoint(bp, "GET", "/api/auth/profile", summary="Your profile", access=SIGNED_IN)
    async def get_profile(call: Call) -> HTTPResponse:
        account = await call.services.run(profile.get_account, call.services.store, call.principal.id)
        return call.ok(user_view(account))

    @endpoint(bp, "PUT", "/api/auth/profile", summary="Change your name or preferences", access=SIGNED_IN,
              body=obj({"name": NAME, "preferences": PREFERENCES}))  # fmt: skip
    async def put_profile(call: Call) -> HTTPResponse:
        b = call.body
        account = await call.services.run(profile.update_profile, call.services.store, call.principal.id,
                                          b.get("name"), b.get("preferences"))  # fmt: skip
        return call.ok(user_view(account))

    @endpoint(bp, "POST", "/api/auth/password", summary="Change your password (ends every session)",
              access=SIGNED_IN, body=obj({"current_password": string(1, 200), "new_password": PASSWORD},
                                         ["current_password", "new_password"]))  # fmt: skip
    async def change_password(call: Call) -> HTTPResponse:
        s, b = call.services, call.body
        await s.run(
            profile.change_password, s.store, call.principal.id, b["current_password"], b["new_password"]
        )
        await s.run(sessions.logout, s.store, call.principal, None)
        return call.ok({"password_changed": True, "sessions_ended": True})

    @endpoint(
        bp, "POST", "/api/auth/totp/setup", summary="Start two-factor sign-in", access=SIGNED_IN, status=201
    )
    async def totp_setup(call: Call) -> HTTPResponse:
        """A secret for an authenticator app; confirm one of its codes at /api/auth/totp/enable."""
        data = await call.services.run(profile.start_totp, call.services.store, call.principal.id)
        return call.ok(data, 201)

    @endpoint(bp, "POST", "/api/auth/totp/enable", summary="Turn two-factor sign-in on", access=SIGNED_IN,
              body=obj({"code": CODE}, ["code"]))  # fmt: skip
    async def totp_enable(call: Call) -> HTTPResponse:
        await call.services.run(
            profile.enable_totp, call.services.store, call.principal.id, call.body["code"]
        )
        return call.ok({"two_factor": True})

    @endpoint(bp, "POST", "/api/auth/totp/disable", summary="Turn two-factor sign-in off", access=SIGNED_IN,
              body=obj({"password": string(1, 200)}, ["password"]))  # fmt: skip
    async def totp_disable(call: Call) -> HTTPResponse:
        await call.services.run(
            profile.disable_totp, call.services.store, call.principal.id, call.body["password"]
        )
        return call.ok({"two_factor": False})

    return bp
