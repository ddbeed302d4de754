{#-
    One row per list date, from the first day of data (or var('call_list_start_date')) up to the
    as-of date D (var('as_of_date'), empty = today), with the moments that define each list in
    naive UTC: the cutoff (start of the day: only records created or updated before it count) and
    the calling hours.
-#}
with

first_days as (

    {%- if var('call_list_start_date') %}
    select cast('{{ var("call_list_start_date") }}' as date) as first_date
    {%- else %}
    select min(first_date) as first_date
    from (
        select {{ listenloop.to_program_date('min(created_at)') }} as first_date
        from {{ source('store', 'customers') }}
        union all
        select {{ listenloop.to_program_date('min(created_at)') }}
        from {{ source('store', 'orders') }}
        union all
        select {{ listenloop.to_program_date('min(created_at)') }}
        from {{ source('store', 'checkouts') }}
        union all
        select {{ listenloop.to_program_date('min(started_at)') }}
        from {{ source('telephony', 'calls') }}
    ) as firsts
    {%- endif %}

),

spine as (

    {{ dbt.date_spine('day', "cast('2000-01-01' as date)", "cast('2100-01-01' as date)") }}

),

dates as (

    select cast(spine.date_day as date) as list_date
    from spine
    cross join first_days
    where cast(spine.date_day as date) >= first_days.first_date
        and cast(spine.date_day as date) <= {{ listenloop.as_of_date() }}

)

select
    list_date,
    {{ listenloop.program_to_utc('cast(list_date as ' ~ dbt.type_timestamp() ~ ')') }} as cutoff_at,
    {{ listenloop.local_time_on('list_date', var('calling_hours_start')) }} as calling_starts_at,
    {{ listenloop.local_time_on('list_date', var('calling_hours_end')) }} as calling_ends_at
from dates
