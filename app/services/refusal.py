"""The one exception for "this cannot be done": a refused value, file, send or setting.

Services raise it with a translated message that says why; views show the message as it is (a
field error, a notice, a flash, `{"detail": …}` on the API).
"""


class Refused(ValueError):
    """What was asked cannot be done; `message` tells the person why, in their language."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message
