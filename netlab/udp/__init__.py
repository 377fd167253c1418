"""UDP: receiver, sender and traffic generator engines, their configs and code templates."""
