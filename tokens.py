"""Signed tokens for the links we mail: activation, password reset, e-mail change expire;
an unsubscribe link does not (a letter of last year must still stop the letters)."""
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer


def _serializer(purpose):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"domkom-{purpose}")


def _fingerprint(purpose, resident):
    """What a token is bound to, so that it stops working once used or superseded."""
    if purpose == "activate":
        return resident.session_salt  # renewed with every activation e-mail
    if purpose == "reset":
        return (resident.pending_password_hash or "")[-16:]
    return resident.pending_email or ""


def make_token(purpose, resident):
    return _serializer(purpose).dumps([resident.id, _fingerprint(purpose, resident)])


def read_token(purpose, token, max_age):
    """(resident_id, fingerprint, expired): expired is True when only the age is wrong.

    Raises ValueError when the token is forged, tampered with or of another purpose."""
    try:
        rid, fp = _serializer(purpose).loads(token, max_age=max_age)
        return int(rid), fp, False
    except SignatureExpired as exc:
        try:
            rid, fp = _serializer(purpose).load_payload(exc.payload)
            return int(rid), fp, True
        except (BadSignature, ValueError, TypeError) as inner:
            raise ValueError("bad token") from inner
    except (BadSignature, ValueError, TypeError) as exc:
        raise ValueError("bad token") from exc


def token_matches(purpose, resident, fingerprint):
    return fingerprint == _fingerprint(purpose, resident)


def make_unsubscribe_token(resident_id, topic):
    """Names the resident and the topic of letters the link turns off."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"],
                             salt="domkom-unsubscribe").dumps([resident_id, topic])


def read_unsubscribe_token(token):
    """(resident_id, topic); ValueError when the token is forged or damaged."""
    try:
        rid, topic = URLSafeSerializer(current_app.config["SECRET_KEY"],
                                       salt="domkom-unsubscribe").loads(token)
        return int(rid), str(topic)
    except (BadSignature, ValueError, TypeError) as exc:
        raise ValueError("bad token") from exc
