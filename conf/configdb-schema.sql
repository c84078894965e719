-- mod_oxbalance: its own tables in OX's configdb (docs/configdb.md).
--
-- Run it on the configdb write host as a user allowed to CREATE in that
-- database:   mysql -h WRITEHOST -u USER -p configdb < configdb-schema.sql
-- or let the module or `oxbalancectl init-schema` run it (the same
-- statements: this file is compiled into libox). Running it again changes
-- nothing. It creates tables named oxbalance_* only and never touches OX's.
--
-- Format rules for this file (the code splits it): one statement per
-- `;` at the end of a line, `--` comments on lines of their own.

-- The admin state and load factor the operators set, one row per member
-- (balancer + route) that has been changed. NULL admin_state and
-- loadfactor 0 mean "as in the httpd configuration". Times are UTC.
CREATE TABLE IF NOT EXISTS oxbalance_member_state (
    balancer            VARCHAR(63)  NOT NULL,
    route               VARCHAR(191) NOT NULL,
    admin_state         ENUM('active', 'draining', 'disabled', 'standby') NULL,
    loadfactor          TINYINT UNSIGNED NOT NULL DEFAULT 0,
    changed_at          DATETIME NOT NULL,
    changed_by_frontend VARCHAR(255) NOT NULL DEFAULT '',
    changed_by_client   VARCHAR(255) NOT NULL DEFAULT '',
    changed_by_tool     VARCHAR(255) NOT NULL DEFAULT '',
    version             BIGINT UNSIGNED NOT NULL DEFAULT 0,
    PRIMARY KEY (balancer, route)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Every change, appended in the same transaction as the change itself.
CREATE TABLE IF NOT EXISTS oxbalance_member_state_history (
    id                  BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    balancer            VARCHAR(63)  NOT NULL,
    route               VARCHAR(191) NOT NULL,
    old_admin_state     ENUM('active', 'draining', 'disabled', 'standby') NULL,
    new_admin_state     ENUM('active', 'draining', 'disabled', 'standby') NULL,
    old_loadfactor      TINYINT UNSIGNED NOT NULL DEFAULT 0,
    new_loadfactor      TINYINT UNSIGNED NOT NULL DEFAULT 0,
    changed_at          DATETIME NOT NULL,
    changed_by_frontend VARCHAR(255) NOT NULL DEFAULT '',
    changed_by_client   VARCHAR(255) NOT NULL DEFAULT '',
    changed_by_tool     VARCHAR(255) NOT NULL DEFAULT '',
    PRIMARY KEY (id),
    KEY oxbalance_history_member (balancer, route, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The members each front end serves, as its configuration names them:
-- each front end's configdb poller replaces its own rows when it starts
-- and hourly. oxbalancectl refuses a change for a route no front end
-- serves (a typo would otherwise be written and change nothing). A front
-- end is its host name and ServerRoot; rows not renewed for a day are
-- not counted (a front end gone for good).
CREATE TABLE IF NOT EXISTS oxbalance_frontend_member (
    frontend            VARCHAR(255) NOT NULL,
    balancer            VARCHAR(63)  NOT NULL,
    route               VARCHAR(191) NOT NULL,
    seen_at             DATETIME NOT NULL,
    PRIMARY KEY (frontend, balancer, route),
    KEY oxbalance_frontend_member_route (balancer, route)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
