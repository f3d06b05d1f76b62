"""The Telegram front end: `app.build_application` wires thin handlers (one module per feature) to PTB."""
