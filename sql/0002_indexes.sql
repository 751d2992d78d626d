-- The indexes of seed 000 §1.9 step 4.

CREATE INDEX cases_status_idx ON cases (status);
CREATE INDEX cases_priority_idx ON cases (priority);
CREATE INDEX cases_reported_at_idx ON cases (reported_at);
CREATE INDEX cases_province_idx ON cases (province);
CREATE INDEX cases_district_office_idx ON cases (district_office);
CREATE INDEX cases_assigned_officer_idx ON cases (assigned_officer_id);
CREATE INDEX cases_overdue_tier_idx ON cases (overdue_tier);
-- The same report arriving twice from a channel is one case.
CREATE UNIQUE INDEX cases_source_dedup_idx ON cases (source_channel, source_seq_no, reported_at);

CREATE INDEX case_history_case_id_idx ON case_history (case_id);
CREATE INDEX case_history_changed_at_idx ON case_history (changed_at);

CREATE INDEX notifications_user_read_idx ON notifications (user_id, is_read);
