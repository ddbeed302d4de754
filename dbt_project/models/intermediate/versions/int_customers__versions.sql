{#-
    Every version of every customer, valid from its updated_at until the next version's: what the
    program knew about a customer at any moment (a call list for day D reads the version valid at
    the start of D). Phones are normalised per version, in that version's country.
-#}
select
    customer_id,
    email,
    phone,
    phone_is_valid,
    first_name,
    last_name,
    country,
    accepts_phone_contact,
    created_at,
    updated_at as valid_from,
    lead(updated_at) over (
        partition by customer_id order by updated_at, _source_file, _source_row
    ) as valid_to,
    _source_file,
    _source_row
from {{ ref('stg_store__customer_versions') }}
