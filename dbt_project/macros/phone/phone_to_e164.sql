{#
    Normalises phone numbers to E.164 against the seed country_calling_codes.

    Returns a select of every column of `relation` plus
      phone_e164      '+<calling code><national significant number>', null unless valid
      phone_is_valid  true when the number could be read and its length fits
    `phone_column` holds the number as typed; `country_column` the ISO-3166 alpha-2 country used
    to read a national number (callers coalesce it to var('default_phone_country')).

    Rules:
      * everything but digits and '+' is dropped ("(415) 555-0132" -> "4155550132");
      * a leading '+' or '00' marks an international number: its calling code is the seed code
        it starts with (ITU codes are prefix-free, so at most one matches); a trunk prefix right
        after the code is dropped ("+44 (0)20 ..."); when no seed code matches, the number is
        kept if it has 8 to 15 digits;
      * otherwise the number is national: the country's trunk prefix is dropped when present
        ('0' in most of Europe and AU, an optional '1' in NANP) and its calling code prepended;
      * valid only when the national significant number's length is within the country's range
        (for a shared code such as +1, the widest range of the countries sharing it) and the
        whole number has at most 15 digits.
    The parsing runs once per distinct (phone, country) pair. The result is a query with its own
    WITH clause: use it as a CTE body, `normalised as ({{ phone_to_e164('renamed', ...) }})`.
#}
{% macro phone_to_e164(relation, phone_column, country_column) -%}
    {%- set calling_codes = ref('country_calling_codes') -%}
with

phone_cleaned_phones as (
    select distinct
        {{ phone_column }} as phone_raw,
        coalesce({{ country_column }}, '') as phone_country,
        {{ listenloop.regexp_remove(phone_column, '[^0-9+]') }} as cleaned
    from {{ relation }}
    where {{ phone_column }} is not null
),

phone_dialled as (
    select
        phone_raw,
        phone_country,
        cleaned like '+%' or cleaned like '00%' as is_international,
        case
            when cleaned like '+%' then substring(cleaned from 2)
            when cleaned like '00%' then substring(cleaned from 3)
            else cleaned
        end as digits
    from phone_cleaned_phones
),

-- countries sharing a code (US/CA on +1) merge into the widest length range
phone_codes_by_calling_code as (
    select
        calling_code,
        min(nsn_min_length) as nsn_min_length,
        max(nsn_max_length) as nsn_max_length,
        max(trunk_prefix) as trunk_prefix
    from {{ calling_codes }}
    group by calling_code
),

phone_coded as (
    select
        phone_dialled.phone_raw,
        phone_dialled.phone_country,
        phone_dialled.is_international,
        phone_dialled.digits,
        coalesce(international_code.calling_code, national_code.calling_code) as calling_code,
        coalesce(international_code.nsn_min_length, national_code.nsn_min_length) as nsn_min_length,
        coalesce(international_code.nsn_max_length, national_code.nsn_max_length) as nsn_max_length,
        coalesce(international_code.trunk_prefix, national_code.trunk_prefix) as trunk_prefix,
        case
            when phone_dialled.is_international
                then substring(
                    phone_dialled.digits from {{ dbt.length('international_code.calling_code') }} + 1
                )
            else phone_dialled.digits
        end as digits_after_code
    from phone_dialled
    left join phone_codes_by_calling_code as international_code
        on phone_dialled.is_international
        and phone_dialled.digits like {{ dbt.concat(['international_code.calling_code', "'%'"]) }}
    left join {{ calling_codes }} as national_code
        on not phone_dialled.is_international
        and phone_dialled.phone_country = national_code.iso2
),

phone_read_numbers as (
    select
        *,
        case
            when trunk_prefix is not null
                and digits_after_code like {{ dbt.concat(['trunk_prefix', "'%'"]) }}
                then substring(digits_after_code from {{ dbt.length('trunk_prefix') }} + 1)
            else digits_after_code
        end as national_number
    from phone_coded
),

phone_checked_numbers as (
    select
        phone_raw,
        phone_country,
        case
            when is_international and calling_code is null then digits
            else {{ dbt.concat(['calling_code', 'national_number']) }}
        end as e164_digits,
        case
            when digits = '' or digits like '%+%' then false
            when is_international and calling_code is null
                then {{ dbt.length('digits') }} between 8 and 15
            when calling_code is null then false
            else {{ dbt.length('national_number') }} between nsn_min_length and nsn_max_length
                and {{ dbt.length('calling_code') }} + {{ dbt.length('national_number') }} <= 15
        end as is_valid
    from phone_read_numbers
)

select
    phone_input.*,
    case
        when phone_checked_numbers.is_valid then {{ dbt.concat(["'+'", 'phone_checked_numbers.e164_digits']) }}
    end as phone_e164,
    coalesce(phone_checked_numbers.is_valid, false) as phone_is_valid
from {{ relation }} as phone_input
left join phone_checked_numbers
    on phone_input.{{ phone_column }} = phone_checked_numbers.phone_raw
    and coalesce(phone_input.{{ country_column }}, '') = phone_checked_numbers.phone_country
{%- endmacro %}
