"""The API's endpoints, one small class per group over one shared `Api` (as openai-python's
`resources/`): `Uploads` (reserve a slot, send the photo), `Tasks` (create, poll, delete, fetch
the results) and `Credit` (the balance). `client.Client` composes them."""

from .api import Api
from .credit import Credit
from .tasks import Tasks
from .uploads import Uploads

__all__ = ["Api", "Credit", "Tasks", "Uploads"]
