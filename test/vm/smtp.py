# A real SMTP server for the report's VM test (Debian's python3-aiosmtpd): STARTTLS required, with a
# certificate the test made, and AUTH that checks the login; each mail it accepts is saved in OUTDIR.
#   python3 smtp.py PORT CERT KEY OUTDIR    (SMTP_USER and SMTP_PASSWORD in the environment)
import asyncio, os, ssl, sys, time
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, cert, key, outdir = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
user, password = os.environ['SMTP_USER'].encode(), os.environ['SMTP_PASSWORD'].encode()

class Handler:
    async def handle_DATA(self, server, session, envelope):
        with open(os.path.join(outdir, f'{time.time_ns()}.eml'), 'wb') as f:
            f.write(envelope.original_content or envelope.content)
        return '250 OK'

def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == user and auth_data.password == password
    print(f'auth {mechanism} {"ok" if ok else "refused"}', flush=True)
    # handled=False: aiosmtpd answers 535 itself (with its default, a refused login gets no answer)
    return AuthResult(success=ok, handled=False)

tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
tls.load_cert_chain(cert, key)
controller = Controller(Handler(), hostname='127.0.0.1', port=port, tls_context=tls, require_starttls=True,
                        authenticator=authenticator, auth_required=True, auth_require_tls=True)
controller.start()
print('ready', flush=True)
try:
    asyncio.get_event_loop().run_forever()
except KeyboardInterrupt:
    pass
finally:
    controller.stop()
