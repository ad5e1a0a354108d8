#!/usr/bin/env python3
"""Describe email messages as JSON for vmkaudit's email tests (tests/it/email.rs).

Argument: a Maildir (every message in new/ and cur/) or a single .eml file. Prints a JSON
list, one object per message: headers, the MIME tree, the text and HTML bodies and the
attachments (name, content type, charset, decoded text).
"""
import email
import json
import os
import sys
from email import policy


def tree(part):
    node = {"type": part.get_content_type()}
    if part.is_multipart():
        node["parts"] = [tree(p) for p in part.iter_parts()]
    return node


def describe(msg):
    out = {
        "headers": {
            k: str(msg[k])
            for k in [
                "From", "To", "Cc", "Subject", "Date", "Message-ID", "MIME-Version",
                "Auto-Submitted", "X-MailFrom", "X-RcptTo", "Bcc",
            ]
            if msg[k] is not None
        },
        "tree": tree(msg),
    }
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    out["text"] = text.get_content() if text is not None else None
    out["html"] = html.get_content() if html is not None else None
    atts = []
    for part in msg.iter_attachments():
        payload = part.get_payload(decode=True) or b""
        atts.append({
            "filename": part.get_filename(),
            "type": part.get_content_type(),
            "charset": part.get_content_charset(),
            "disposition": part.get_content_disposition(),
            "content": payload.decode("utf-8", errors="replace"),
            "size": len(payload),
        })
    out["attachments"] = atts
    return out


def main():
    target = sys.argv[1]
    paths = []
    if os.path.isdir(target):
        for sub in ("new", "cur"):
            d = os.path.join(target, sub)
            paths += [os.path.join(d, n) for n in os.listdir(d)]
        # Arrival order.
        paths.sort(key=lambda p: (os.stat(p).st_mtime_ns, os.path.basename(p)))
    else:
        paths = [target]
    msgs = []
    for p in paths:
        with open(p, "rb") as f:
            msgs.append(describe(email.message_from_binary_file(f, policy=policy.default)))
    json.dump(msgs, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
