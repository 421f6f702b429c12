"""SMS: the Twilio channel, inbound texts, keywords and conversations."""
