"""A second app process for the sign-in limit tests, as a second gunicorn worker would be.

Run as ``python -m tests.staff.second_worker '<overrides as JSON>'``. It reads one sign-in attempt
per line on standard input ("EMAIL PASSWORD REMOTE_ADDR") and prints the status code it got.
A separate process, not a second ``create_app`` in the test's own: the limiter is one object per
process, so two apps in one process would share its storage whatever the setting said.
"""
from __future__ import annotations

import json
import sys

from feedback import create_app
from tests.conftest import csrf_token


def main() -> None:
    app = create_app(json.loads(sys.argv[1]))
    client = app.test_client()
    print("ready", flush=True)
    for line in sys.stdin:
        email, password, address = line.split()
        environ = {"REMOTE_ADDR": address}
        token = csrf_token(client.get("/staff/login", environ_base=environ).get_data(as_text=True))
        response = client.post("/staff/login", environ_base=environ,
                               data={"csrf_token": token, "email": email, "password": password})
        print(response.status_code, flush=True)


if __name__ == "__main__":
    main()
