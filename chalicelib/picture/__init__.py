"""The week at a glance: sign-ins per hour over seven days as a grid (`week.py`), drawn
as a PNG heat map with the busiest principals and accounts (`render.py`, Pillow, imported
only when a picture is drawn), its words (`words.py`: the figures, the alt text, a text
rendering), and its posting beside the digest (`digest_picture.py`).
May import: clock, logs, settings, signin, store, slack."""
