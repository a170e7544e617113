"""Messages to staff: channels through Apprise with secrets kept out of logs, the outbox that delivers
every reminder once in one digest per person (the messages themselves are data in :mod:`gongkai.core.messages`).
"""
