{#-
    One row per assignment: a trigger (segment, trigger_id) on the call lists, in arm treatment
    or holdout. A trigger whose 24 h window overlaps two days' calling hours sits on two list
    dates; it is one assignment, dated by its first list date, so it is counted once. The arm
    is a function of the trigger, so both rows agree on it. A treatment member deferred by the
    daily capacity stays in treatment: outcomes are intent to treat. Only lists dated before the
    as-of date count, as outcomes are observed up to its start.
-#}
with

history as (

    select
        *,
        row_number() over (
            partition by segment, trigger_id order by list_date
        ) as listing_number
    from {{ ref('call_list_history') }}
    -- the as-of date's own list has had no chance to act yet, and a rebuild for an earlier
    -- as-of date must not see the lists written after it
    where list_date < {{ listenloop.as_of_date() }}

)

select
    segment,
    trigger_id,
    customer_id,
    phone_e164,
    arm,
    list_date as assigned_on,
    {{ listenloop.week_start('list_date') }} as assignment_week,
    cast({{ dbt.date_trunc('month', 'list_date') }} as date) as assignment_month,
    status = 'deferred' as is_deferred,
    trigger_at,
    call_window_start,
    call_window_end,
    {{ dbt.dateadd('hour', var('attribution_grace_hours'), 'call_window_end') }}
        as attribution_ends_at,
    {{ dbt.dateadd('day', var('conversion_window_days'), 'call_window_start') }}
        as conversion_ends_at
from history
where listing_number = 1
