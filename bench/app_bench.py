"""Domkom as production runs it, plus /hello: the baseline every page is compared with."""
from app import create_app

app = create_app()


@app.route("/hello")
def hello():
    return "Hello, world!"
