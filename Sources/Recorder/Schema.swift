import GRDB
import Telemetry

extension ResultsStore {
    /// Schema migrations, applied in order when a database is opened. Never edit a shipped
    /// migration: add a new one (GRDB records which have run).
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
            CREATE TABLE runs (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                scenario TEXT NOT NULL,
                seed INTEGER NOT NULL,
                parameters TEXT NOT NULL DEFAULT '{}',   -- JSON object of --set overrides
                label TEXT NOT NULL DEFAULT '',          -- policy or sweep point, for grouping
                replication INTEGER NOT NULL DEFAULT 0,
                tool_version TEXT NOT NULL,
                started_at TEXT NOT NULL,                -- ISO 8601, UTC
                wall_seconds REAL,
                simulated_seconds REAL NOT NULL,         -- the planned duration
                scrape_seconds REAL NOT NULL,
                events INTEGER,
                status TEXT NOT NULL DEFAULT '\(RunStatus.running.rawValue)'   -- see RunStatus
            );
            CREATE TABLE services (
                run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                service TEXT NOT NULL,
                slo_p95_seconds REAL NOT NULL,
                slo_error_rate REAL NOT NULL,
                price_per_replica_hour REAL NOT NULL,
                policy TEXT NOT NULL,
                capacity_per_replica REAL NOT NULL,      -- nominal requests/s one replica serves (slots ÷ mean work incl. calls)
                PRIMARY KEY (run_id, service)
            );
            CREATE TABLE pools (
                run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                pool TEXT NOT NULL,
                price_per_hour REAL NOT NULL,
                PRIMARY KEY (run_id, pool)
            );
            CREATE TABLE service_samples (
                run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                t REAL NOT NULL,                 -- seconds since run start, end of the interval
                interval REAL NOT NULL,
                service TEXT NOT NULL,
                arrivals INTEGER NOT NULL, completed INTEGER NOT NULL, failed INTEGER NOT NULL,
                rejected INTEGER NOT NULL, timed_out INTEGER NOT NULL,
                error_rate REAL NOT NULL,
                p50 REAL NOT NULL, p95 REAL NOT NULL, p99 REAL NOT NULL,   -- seconds
                mean_queue_wait REAL NOT NULL,
                queue_depth INTEGER NOT NULL, in_flight INTEGER NOT NULL,
                cpu_utilization REAL NOT NULL, memory_mib REAL NOT NULL, memory_utilization REAL NOT NULL,
                ready INTEGER NOT NULL, starting INTEGER NOT NULL, pending INTEGER NOT NULL, desired INTEGER NOT NULL,
                concurrency INTEGER NOT NULL,
                replica_seconds REAL NOT NULL
            );
            CREATE INDEX service_samples_by_run ON service_samples(run_id, service, t);
            CREATE TABLE node_samples (
                run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                t REAL NOT NULL,
                node TEXT NOT NULL, pool TEXT NOT NULL, zone TEXT NOT NULL,
                state TEXT NOT NULL,             -- up | provisioning | down | removed
                reachable INTEGER NOT NULL,
                cpu_allocated REAL NOT NULL, memory_allocated REAL NOT NULL,
                replicas INTEGER NOT NULL
            );
            CREATE INDEX node_samples_by_run ON node_samples(run_id, t);
            CREATE TABLE events (
                run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                t REAL NOT NULL,
                kind TEXT NOT NULL, subject TEXT NOT NULL, detail TEXT NOT NULL
            );
            CREATE INDEX events_by_run ON events(run_id, kind, t);
            CREATE TABLE predictions (
                run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                service TEXT NOT NULL, metric TEXT NOT NULL, model TEXT NOT NULL,
                made_at REAL NOT NULL, horizon REAL NOT NULL,   -- seconds; target time = made_at + horizon
                value REAL NOT NULL, lower REAL, upper REAL,
                actual REAL                                     -- filled in when the target time is observed
            );
            CREATE INDEX predictions_by_run ON predictions(run_id, service, metric, horizon, made_at);
            CREATE TABLE latency_histogram (
                run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                service TEXT NOT NULL,
                upper_us INTEGER NOT NULL,       -- bucket's highest equivalent value, microseconds
                count INTEGER NOT NULL
            );
            CREATE INDEX latency_histogram_by_run ON latency_histogram(run_id, service, upper_us);
            CREATE TABLE summaries (
                run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                service TEXT NOT NULL,           -- '*' for whole-run figures
                metric TEXT NOT NULL,
                value REAL,
                PRIMARY KEY (run_id, service, metric)
            );
            """)
        }
        m.registerMigration("v2-forecast-accuracy") { db in
            try db.execute(sql: """
            CREATE TABLE forecast_accuracy (
                run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                service TEXT NOT NULL, metric TEXT NOT NULL, model TEXT NOT NULL,
                horizon REAL NOT NULL,                  -- seconds
                forecasts INTEGER NOT NULL,             -- scored against an actual
                mape REAL, accuracy REAL, smape REAL, mase REAL, hit_rate REAL, coverage REAL,
                mase_scale REAL,                        -- in-sample seasonal-naive MAE
                PRIMARY KEY (run_id, service, metric, model, horizon)
            );
            """)
        }
        m.registerMigration("v3-decisions") { db in
            try db.execute(sql: """
            CREATE TABLE decisions (
                run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                t REAL NOT NULL,
                service TEXT NOT NULL,
                policy TEXT NOT NULL,
                rule TEXT NOT NULL,                 -- the metric or rule that drove the proposal
                current INTEGER NOT NULL,
                proposal INTEGER NOT NULL,          -- before stabilization, rate limits, bounds, caps
                final INTEGER NOT NULL,             -- after them
                limited_by TEXT,
                confidence REAL NOT NULL,
                reason TEXT NOT NULL,
                inputs TEXT NOT NULL,               -- JSON: the metric values read
                dry_run INTEGER NOT NULL
            );
            CREATE INDEX decisions_by_run ON decisions(run_id, service, t);
            """)
        }
        m.registerMigration("v4-connection-pool-and-faults") { db in
            // Observed since the connection pool was modelled, recorded from now on (0 in older runs).
            try db.alter(table: "service_samples") { t in
                t.add(column: "connection_pool", .integer).notNull().defaults(to: 0)
                t.add(column: "connection_pool_utilization", .double).notNull().defaults(to: 0)
            }
            try db.execute(sql: """
            CREATE TABLE faults (
                run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                kind TEXT NOT NULL,                 -- node-crash, latency, … or a user's own
                target TEXT NOT NULL,               -- in words
                target_service TEXT,                -- the service a service-level fault hits
                start REAL NOT NULL,                -- seconds since run start
                duration REAL,                      -- NULL = permanent
                PRIMARY KEY (run_id, name)
            );
            """)
        }
        m.registerMigration("v5-run-writer") { db in
            // Who writes a `running` run: a run whose writer is gone is reported as interrupted.
            try db.alter(table: "runs") { t in
                t.add(column: "writer_pid", .integer)
                t.add(column: "writer_host", .text)
            }
        }
        m.registerMigration("v6-client-behaviour") { db in
            // Retries, shed requests and goodput, observed since clients retry (0 in older runs).
            try db.alter(table: "service_samples") { t in
                t.add(column: "retries", .integer).notNull().defaults(to: 0)
                t.add(column: "shed", .integer).notNull().defaults(to: 0)
                t.add(column: "goodput", .integer).notNull().defaults(to: 0)
            }
        }
        m.registerMigration("v7-recording-level") { db in
            // What a run kept (`RecordingLevel`): older runs kept everything.
            try db.alter(table: "runs") { t in t.add(column: "recording", .text).notNull().defaults(to: "all") }
        }
        m.registerMigration("v8-live-reads") { db in
            // What a live session (shadow, control) read from the metrics server, value by value.
            try db.execute(sql: """
            CREATE TABLE live_reads (
                run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                t REAL NOT NULL,                    -- seconds since the session started
                service TEXT NOT NULL,
                signal TEXT NOT NULL,               -- rate, cpu, queue, in_flight, ready, p95 …
                query TEXT NOT NULL,
                status TEXT NOT NULL,               -- ok | empty | nan | stale | error
                value REAL,                         -- NULL unless ok
                detail TEXT NOT NULL
            );
            CREATE INDEX live_reads_by_run ON live_reads(run_id, t);
            CREATE TABLE live_actions (
                run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                t REAL NOT NULL,
                service TEXT NOT NULL,
                replicas INTEGER NOT NULL,          -- what was asked for
                actuator TEXT NOT NULL,             -- dry-run | exec | webhook
                outcome TEXT NOT NULL,              -- done | error | skipped
                detail TEXT NOT NULL                -- the command or request, and its answer
            );
            CREATE INDEX live_actions_by_run ON live_actions(run_id, t);
            """)
        }
        m.registerMigration("v9-live-replacements") { db in
            // The self-healer's replacements go through the actuator too: which replica (NULL for a change of count).
            try db.execute(sql: "ALTER TABLE live_actions ADD COLUMN replica TEXT")
        }
        m.registerMigration("v10-queue-wait-count") { db in
            // Requests that started service per scrape, the weights of a run's mean queue wait (0 in older runs).
            try db.alter(table: "service_samples") { t in t.add(column: "started", .integer).notNull().defaults(to: 0) }
        }
        return m
    }
}
