-- Reference data of seed 000 §1.10.
--
-- The seed gives the SLA hours and days, the code ranges and the row counts. The labels, the four
-- closure reason codes besides OTHER and the handler names live in documents we do not have
-- (scope §5.3, §7.3, data_sample.xlsx): those rows say so in their text. Replace them with the
-- originals in a later migration (UPDATE ... WHERE code = ...); codes and counts stay as given.

-- sla_config: the seed's table, exactly.
INSERT INTO sla_config (priority, temp_fix_hours, permanent_fix_days) VALUES
    ('CRITICAL', 12, 7),
    ('HIGH', 24, 7),
    ('MEDIUM', 72, 7),
    ('LOW', 168, 7);

-- ref_service_type: codes 1-12 (scope §7.3 has the Thai labels).
INSERT INTO ref_service_type (code, label_th, label_en) VALUES
    (1, NULL, 'Service type 1 (placeholder: label from scope §7.3)'),
    (2, NULL, 'Service type 2 (placeholder: label from scope §7.3)'),
    (3, NULL, 'Service type 3 (placeholder: label from scope §7.3)'),
    (4, NULL, 'Service type 4 (placeholder: label from scope §7.3)'),
    (5, NULL, 'Service type 5 (placeholder: label from scope §7.3)'),
    (6, NULL, 'Service type 6 (placeholder: label from scope §7.3)'),
    (7, NULL, 'Service type 7 (placeholder: label from scope §7.3)'),
    (8, NULL, 'Service type 8 (placeholder: label from scope §7.3)'),
    (9, NULL, 'Service type 9 (placeholder: label from scope §7.3)'),
    (10, NULL, 'Service type 10 (placeholder: label from scope §7.3)'),
    (11, NULL, 'Service type 11 (placeholder: label from scope §7.3)'),
    (12, NULL, 'Service type 12 (placeholder: label from scope §7.3)');

-- ref_complaint_type: CT01-CT12.
INSERT INTO ref_complaint_type (code, label_th, label_en) VALUES
    ('CT01', NULL, 'Complaint type CT01 (placeholder: label from scope)'),
    ('CT02', NULL, 'Complaint type CT02 (placeholder: label from scope)'),
    ('CT03', NULL, 'Complaint type CT03 (placeholder: label from scope)'),
    ('CT04', NULL, 'Complaint type CT04 (placeholder: label from scope)'),
    ('CT05', NULL, 'Complaint type CT05 (placeholder: label from scope)'),
    ('CT06', NULL, 'Complaint type CT06 (placeholder: label from scope)'),
    ('CT07', NULL, 'Complaint type CT07 (placeholder: label from scope)'),
    ('CT08', NULL, 'Complaint type CT08 (placeholder: label from scope)'),
    ('CT09', NULL, 'Complaint type CT09 (placeholder: label from scope)'),
    ('CT10', NULL, 'Complaint type CT10 (placeholder: label from scope)'),
    ('CT11', NULL, 'Complaint type CT11 (placeholder: label from scope)'),
    ('CT12', NULL, 'Complaint type CT12 (placeholder: label from scope)');

-- ref_closure_reason: five reasons; OTHER requires a note (scope §5.3 has the other four).
INSERT INTO ref_closure_reason (code, label_th, label_en, requires_note) VALUES
    ('CLOSURE_01', NULL, 'Closure reason 1 (placeholder: code and label from scope §5.3)', false),
    ('CLOSURE_02', NULL, 'Closure reason 2 (placeholder: code and label from scope §5.3)', false),
    ('CLOSURE_03', NULL, 'Closure reason 3 (placeholder: code and label from scope §5.3)', false),
    ('CLOSURE_04', NULL, 'Closure reason 4 (placeholder: code and label from scope §5.3)', false),
    ('OTHER', NULL, 'Other', true);

-- ref_handler: the 14 handlers of data_sample.xlsx; an admin maps them to users later (user_id NULL).
INSERT INTO ref_handler (display_name, user_id) VALUES
    ('Handler 01 (placeholder: name from data_sample.xlsx)', NULL),
    ('Handler 02 (placeholder: name from data_sample.xlsx)', NULL),
    ('Handler 03 (placeholder: name from data_sample.xlsx)', NULL),
    ('Handler 04 (placeholder: name from data_sample.xlsx)', NULL),
    ('Handler 05 (placeholder: name from data_sample.xlsx)', NULL),
    ('Handler 06 (placeholder: name from data_sample.xlsx)', NULL),
    ('Handler 07 (placeholder: name from data_sample.xlsx)', NULL),
    ('Handler 08 (placeholder: name from data_sample.xlsx)', NULL),
    ('Handler 09 (placeholder: name from data_sample.xlsx)', NULL),
    ('Handler 10 (placeholder: name from data_sample.xlsx)', NULL),
    ('Handler 11 (placeholder: name from data_sample.xlsx)', NULL),
    ('Handler 12 (placeholder: name from data_sample.xlsx)', NULL),
    ('Handler 13 (placeholder: name from data_sample.xlsx)', NULL),
    ('Handler 14 (placeholder: name from data_sample.xlsx)', NULL);
