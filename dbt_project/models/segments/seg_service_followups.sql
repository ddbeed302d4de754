{#-
    Service follow-ups before suppression: one row per (inbound call, list date) for a known
    customer's inbound call that was not resolved on first contact, or was escalated, whose call
    window (24-48 h after the call ended, or started when no end is logged) overlaps the list
    date's calling hours.
-#}
with

dates as (

    select * from {{ ref('int_call_list__dates') }}

),

calls as (

    select
        *,
        coalesce(ended_at, started_at) as trigger_at
    from {{ ref('stg_telephony__calls') }}
    where direction = 'inbound'
        and customer_id is not null
        and (resolved_first_contact = false or outcome = 'escalated')

),

windows as (

    select
        *,
        {{ dbt.dateadd('hour', 24, 'trigger_at') }} as call_window_start,
        {{ dbt.dateadd('hour', 48, 'trigger_at') }} as call_window_end
    from calls

)

select
    dates.list_date,
    'service_followup' as segment,
    windows.call_id as trigger_id,
    windows.customer_id,
    windows.trigger_at,
    windows.call_window_start,
    windows.call_window_end,
    cast(null as decimal(18, 4)) as value_amount,
    cast(null as {{ dbt.type_string() }}) as currency,
    'Called us on ' || {{ listenloop.day_time_text('windows.started_at') }}
        || case
            when windows.outcome = 'escalated' then '; the issue was escalated'
            else '; the issue was not resolved on that call'
        end
        || coalesce(' (' || replace(replace(windows.concern_tags, ';', ', '), '_', ' ') || ')', '') as reason
from windows
inner join dates
    on {{ listenloop.overlaps_calling_hours(
        'windows.call_window_start', 'windows.call_window_end', 'dates'
    ) }}
where windows.started_at < dates.cutoff_at
    and windows.trigger_at <= dates.cutoff_at
