"""Messages to staff: channels through Apprise with secrets kept out of logs, the outbox that delivers
every reminder once, digest wording.
"""
