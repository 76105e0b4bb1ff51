-- Every delivery report from the SMS gateway (Kannel's callback, an SMPP deliver_sm) names
-- its message by the gateway's reference, not by our id: without an index each report
-- scanned the whole outbox, which grows by several texts per order (receipt, progress,
-- survey) and is never pruned.
CREATE INDEX outbox_gateway_ref_idx ON outbox (gateway_ref) WHERE gateway_ref IS NOT NULL;
