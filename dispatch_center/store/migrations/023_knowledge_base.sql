-- The knowledge base (知识库): articles owned by units, their versions, the center's
-- synonyms and the desk's searches (what was asked, what was used: the gaps report).
CREATE TABLE kb_articles (
    id            bigserial PRIMARY KEY,
    owner         text NOT NULL,            -- the unit that writes it (a units.code)
    title         text NOT NULL,
    questions     jsonb NOT NULL DEFAULT '[]'::jsonb,  -- the ways callers ask it
    answer        text NOT NULL,
    policy_source text NOT NULL DEFAULT '',
    category_code text,
    valid_from    date,
    valid_until   date,
    status        text NOT NULL DEFAULT 'draft'
                  CHECK (status IN ('draft', 'reviewed', 'published', 'expired')),
    demo          boolean NOT NULL DEFAULT false,  -- shipped demo content, not policy
    version       integer NOT NULL DEFAULT 1,
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_by    text NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    -- jieba's words, title and questions weighted A, the answer B (store/knowledge.py);
    -- head_doc is the title and questions alone: small, it picks the candidates quickly.
    search_doc    tsvector NOT NULL,
    head_doc      tsvector NOT NULL,
    CHECK (valid_until IS NULL OR valid_from IS NULL OR valid_until >= valid_from)
);
CREATE INDEX kb_articles_search ON kb_articles USING gin (search_doc);
CREATE INDEX kb_articles_head ON kb_articles USING gin (head_doc);
CREATE INDEX kb_articles_owner ON kb_articles (owner, status);
-- Demo content is loaded once, keyed by its title and owner.
CREATE UNIQUE INDEX kb_articles_demo ON kb_articles (owner, title) WHERE demo;

-- Every version an article has had, the current one included: who made it, when, how.
CREATE TABLE kb_article_versions (
    article_id    bigint NOT NULL REFERENCES kb_articles (id) ON DELETE CASCADE,
    version       integer NOT NULL,
    action        text NOT NULL,            -- create | edit | review | publish | expire
    status        text NOT NULL,
    title         text NOT NULL,
    questions     jsonb NOT NULL,
    answer        text NOT NULL,
    policy_source text NOT NULL,
    category_code text,
    valid_from    date,
    valid_until   date,
    by_user       text NOT NULL,
    by_role       text NOT NULL,
    at            timestamptz NOT NULL,
    note          text,
    PRIMARY KEY (article_id, version)
);

-- Groups the center adds to the shipped synonym file.
CREATE TABLE kb_synonyms (
    id         bigserial PRIMARY KEY,
    words      text[] NOT NULL CHECK (cardinality(words) >= 2),
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- The desk's searches during a call: one row a search, with the call's session or order.
CREATE TABLE kb_searches (
    id              bigserial PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT now(),
    actor           text NOT NULL,
    query           text NOT NULL,
    query_key       text NOT NULL,          -- the query's words, one spelling per meaning
    session         text,
    order_id        bigint,
    result_ids      bigint[] NOT NULL DEFAULT '{}',
    owners          text[] NOT NULL DEFAULT '{}',  -- units the gap concerns
    used_article_id bigint,
    used_at         timestamptz,
    used_by         text
);
CREATE INDEX kb_searches_at ON kb_searches (at);
CREATE INDEX kb_searches_session ON kb_searches (session) WHERE session IS NOT NULL;
CREATE INDEX kb_searches_order ON kb_searches (order_id) WHERE order_id IS NOT NULL;

-- An order answered at intake from an article (直接办结, 知识库答复) links to it.
ALTER TABLE orders ADD COLUMN IF NOT EXISTS kb_article_id bigint;
