-- Every WeChat message a citizen sent, and the order it made or was folded into. msg_id is
-- the platform's MsgId: a redelivered callback finds its row and changes nothing. The
-- latest row per OpenID is where the next message of the same conversation folds.
CREATE TABLE wechat_messages (
    msg_id   text PRIMARY KEY,
    openid   text NOT NULL,
    order_id bigint NOT NULL,
    at       timestamptz NOT NULL,      -- the message's CreateTime
    folded   boolean NOT NULL           -- false: it made the order
);
CREATE INDEX wechat_messages_openid_idx ON wechat_messages (openid, at DESC);
