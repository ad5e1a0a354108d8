#!/usr/bin/env python3
"""Test SMTP server for vmkaudit's email tests (tests/it/email.rs).

aiosmtpd on 127.0.0.1 storing every message in a Maildir (the Mailbox handler adds
X-MailFrom / X-RcptTo with the envelope), optionally with STARTTLS (--cert/--key,
--require-starttls), implicit TLS (--implicit-tls) and AUTH (--auth-user, password taken
from the environment variable named by --auth-password-env). Runs until SIGTERM/SIGINT.
"""
import argparse
import os
import signal
import ssl
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--maildir", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--require-starttls", action="store_true")
    ap.add_argument("--implicit-tls", action="store_true")
    ap.add_argument("--auth-user")
    ap.add_argument("--auth-password-env")
    args = ap.parse_args()

    kwargs = {}
    if args.cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.cert, args.key)
        if args.implicit_tls:
            kwargs["ssl_context"] = ctx
        else:
            kwargs["tls_context"] = ctx
            kwargs["require_starttls"] = args.require_starttls
    if args.auth_user:
        password = os.environ[args.auth_password_env]
        user = args.auth_user

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (
                isinstance(auth_data, LoginPassword)
                and auth_data.login.decode() == user
                and auth_data.password.decode() == password
            )
            return AuthResult(success=ok, handled=False)

        kwargs["authenticator"] = authenticator
        kwargs["auth_required"] = True
        kwargs["auth_require_tls"] = bool(args.cert)

    controller = Controller(
        Mailbox(args.maildir), hostname=args.host, port=args.port, **kwargs
    )
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
