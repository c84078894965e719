-- The shared session table of the test webapp's OX-style sessions (/oxs/*,
-- oxb-tomcat --session-db). One row per session; the id is the part of
-- JSESSIONID before the '.', route the node that served it last.
CREATE TABLE IF NOT EXISTS oxs_sessions (
    id         VARCHAR(32)  NOT NULL PRIMARY KEY,
    user       VARCHAR(200) NOT NULL,
    counter    BIGINT       NOT NULL,
    route      VARCHAR(64)  NOT NULL,
    created_on VARCHAR(64)  NOT NULL,
    moves      INT          NOT NULL,
    updated    TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
