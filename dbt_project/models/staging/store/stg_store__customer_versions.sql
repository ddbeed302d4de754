with

source as (

    select * from {{ source('store', 'customers') }}

),

renamed as (

    select

        ----------  ids
        customer_id,

        ---------- contact
        nullif(lower(trim(email)), '') as email,
        nullif(trim(phone), '') as phone_raw,
        nullif(trim(first_name), '') as first_name,
        nullif(trim(last_name), '') as last_name,
        nullif(upper(trim(country)), '') as country,
        -- the country a national phone number is read in
        coalesce(
            nullif(upper(trim(country)), ''), '{{ var("default_phone_country") }}'
        ) as phone_country,

        ---------- booleans
        accepts_phone_contact,

        ---------- timestamps
        created_at,
        coalesce(updated_at, created_at) as updated_at,

        ---------- lineage
        _source_file,
        _source_row

    from source

),

-- each version's phone is read in that version's country
phones as (

    {{ listenloop.phone_to_e164('renamed', 'phone_raw', 'phone_country') }}

)

select
    customer_id,
    email,
    phone_e164 as phone,
    phone_raw,
    phone_is_valid,
    first_name,
    last_name,
    country,
    accepts_phone_contact,
    created_at,
    updated_at,
    _source_file,
    _source_row
from phones
