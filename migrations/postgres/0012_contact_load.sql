-- How many open cases each contact person has, kept by a trigger as cases are
-- opened, change status or contact, or go: choosing the contact of a new case
-- reads this small table instead of counting every open case (which grew with
-- a backlog). Contacts are kept lower-cased (the address key). Keep in step
-- with ../sqlite/0012_contact_load.sql.

CREATE TABLE contact_load (
    contact TEXT PRIMARY KEY,
    open    BIGINT NOT NULL
);

INSERT INTO contact_load (contact, open)
SELECT LOWER(contact), COUNT(*) FROM cases
WHERE contact IS NOT NULL AND status IN ('received', 'acknowledged', 'on_hold')
GROUP BY LOWER(contact);

CREATE FUNCTION contact_load_keep() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.contact IS NOT NULL
       AND OLD.status IN ('received', 'acknowledged', 'on_hold') THEN
        UPDATE contact_load SET open = open - 1 WHERE contact = LOWER(OLD.contact);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.contact IS NOT NULL
       AND NEW.status IN ('received', 'acknowledged', 'on_hold') THEN
        INSERT INTO contact_load (contact, open) VALUES (LOWER(NEW.contact), 1)
        ON CONFLICT (contact) DO UPDATE SET open = contact_load.open + 1;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER contact_load_insert_delete AFTER INSERT OR DELETE ON cases
FOR EACH ROW EXECUTE FUNCTION contact_load_keep();

CREATE TRIGGER contact_load_update AFTER UPDATE OF contact, status ON cases
FOR EACH ROW EXECUTE FUNCTION contact_load_keep();
