"""Which reminders are due on a business date: deadlines of applications, items and review tasks."""
