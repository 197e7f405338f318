"""Notifications for citizens: an official's response to my comment, a poll of my
municipality opening, a result published (a poll's tally, a comment period's report); by
e-mail and in an in-app list, each channel chosen per kind of event.

Where it lives, and why here. Preferences, confirmed e-mail addresses and the in-app list are
per person (the pseudonymous ``sub``) and live in the **polls** database, read and written only
by the polls service, which is already the platform's sign-in component and the citizens'
home page. The alternative, the shared identity database, was refused: in production
discussions runs verify-only (``VMESTE_DISCUSSIONS_SESSIONS=verify``) and holds nothing that
could issue a session; giving it e-mail addresses to read (or a list to write) would widen
what a compromised discussions pod exposes, for no gain. So discussions keeps no personal
data of this kind: its events go through its own outbox, signed by the Standard Webhooks
scheme, to polls' inbox (:mod:`services.polls.notifications.inbox`), which fans them out.

Delivery is one transactional outbox (:mod:`shared.outbox`) per service. An event's message
is written in the transaction of the change (a poll opening, a response); fanning it out
writes the in-app entries and one e-mail message per recipient in one transaction, each with
an id derived from the event and the person, so a fan-out repeated after a crash adds nothing.
Each e-mail is sent with that id as its Message-ID.

E-mail addresses are personal data: one is stored only while its owner has some e-mail
notification switched on (turning the last one off deletes it), an address waiting for
confirmation is forgotten after a day, and no address is ever written to a log, an outbox
row or an error text. Addresses are typed in by the citizen and confirmed by a link sent to
them; none is ever taken from Gosuslugi.
"""
