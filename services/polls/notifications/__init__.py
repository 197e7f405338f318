"""Notifications for citizens: an official's response to my comment, a poll of my
municipality opening, a result published (a poll's tally, a comment period's report); by
e-mail and in an in-app list, each channel chosen per kind of event.

Where it lives, and why here. Preferences, confirmed e-mail addresses and the in-app list are
per person (the pseudonymous ``sub``) and live in the **polls** database, read and written only
by the polls service, which is already the platform's sign-in component and the citizens'
home page. The alternative, the shared identity database, was refused. In production
discussions runs verify-only (``VMESTE_DISCUSSIONS_SESSIONS=verify``): it issues no session
and holds no pepper, and the only write it makes to the identity database is deleting
expired day counts of refused address codes (sessions are in Redis). Yet its database role may read
and write every identity table (deploy/README.md, "Database roles": the GRANTs are per
database, not per table), so addresses stored there would be readable by a compromised
discussions pod, and discussions would need the SMTP relay's login and egress as well. Kept
in polls, they are reachable only by the service that mails. Discussions keeps no personal
data of this kind: its events go through its own outbox, signed by the Standard Webhooks
scheme, to polls' inbox (:mod:`services.polls.notifications.inbox`), which fans them out;
the cost is one call inside the cluster (discussions → polls), allowed by its own
NetworkPolicy and never routed by the ingress.

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
