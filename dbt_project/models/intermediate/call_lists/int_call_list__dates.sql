{#-
    One row per list date, from the first day of data (or var('call_list_start_date')) up to the
    as-of date D (var('as_of_date'), empty = today), with the moments that define each list in
    naive UTC: the cutoff (only records created or updated before it count) and the calling hours.
    The cutoff is the start of the day, except for D itself when var('list_cutoff_at') is set: an
    intraday refresh re-decides D as of that moment (kept inside D), so a customer who ordered this
    morning leaves today's list and late-arriving triggers join it.
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

),

bounded as (

    select
        list_date,
        {{ listenloop.program_to_utc('cast(list_date as ' ~ dbt.type_timestamp() ~ ')') }}
            as day_starts_at,
        {{ listenloop.program_to_utc(
            'cast(' ~ dbt.dateadd('day', 1, 'list_date') ~ ' as ' ~ dbt.type_timestamp() ~ ')'
        ) }} as day_ends_at
    from dates

)

select
    list_date,
    {%- if listenloop.list_cutoff_at() %}
    case
        when list_date = {{ listenloop.as_of_date() }}
            then least(
                greatest(
                    cast('{{ listenloop.list_cutoff_at() }}' as {{ dbt.type_timestamp() }}),
                    day_starts_at
                ),
                day_ends_at
            )
        else day_starts_at
    end as cutoff_at,
    {%- else %}
    day_starts_at as cutoff_at,
    {%- endif %}
    {{ listenloop.local_time_on('list_date', var('calling_hours_start')) }} as calling_starts_at,
    {{ listenloop.local_time_on('list_date', var('calling_hours_end')) }} as calling_ends_at
from bounded
