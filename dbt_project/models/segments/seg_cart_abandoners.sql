{#-
    Cart abandoners before suppression: one row per (abandoned checkout, list date) whose call
    window (24-48 h after the abandonment) overlaps the list date's calling hours.

    As of a list date's cutoff (start of the day), a checkout's cart activity is its newest
    version written before the cutoff that is not a mere completion record; it becomes abandoned
    var('abandonment_after_minutes') after that update unless some version written before the
    cutoff, or a non-voided order placed from it before the cutoff, completed it by then (the
    foundation's rule, int_checkouts__abandoned, evaluated on what was known at the cutoff).
    A later completion does not remove the trigger: it is suppressed as converted.
    A guest checkout is matched to the customer with its email, as known at the cutoff.
-#}
with

dates as (

    select * from {{ ref('int_call_list__dates') }}

),

versions as (

    select * from {{ ref('int_checkouts__versions') }}

),

activity as (

    select
        *,
        lead(valid_from) over (
            partition by checkout_id order by valid_from, _source_file, _source_row
        ) as next_activity_at,
        {{ dbt.dateadd('minute', var('abandonment_after_minutes'), 'valid_from') }} as abandoned_at
    from versions
    where is_cart_activity

),

windows as (

    select
        *,
        {{ dbt.dateadd('hour', 24, 'abandoned_at') }} as call_window_start,
        {{ dbt.dateadd('hour', 48, 'abandoned_at') }} as call_window_end
    from activity

),

candidate_days as (

    select
        dates.list_date,
        dates.cutoff_at,
        windows.*
    from windows
    inner join dates
        on {{ listenloop.overlaps_calling_hours(
            'windows.call_window_start', 'windows.call_window_end', 'dates'
        ) }}
    where windows.valid_from < dates.cutoff_at
        and windows.abandoned_at <= dates.cutoff_at
        and (windows.next_activity_at is null or windows.next_activity_at >= dates.cutoff_at)

),

completed_in_time as (

    select candidate_days.list_date, candidate_days.checkout_id
    from candidate_days
    inner join versions
        on candidate_days.checkout_id = versions.checkout_id
        and versions.valid_from < candidate_days.cutoff_at
    where versions.completed_at <= candidate_days.abandoned_at

    union

    select candidate_days.list_date, candidate_days.checkout_id
    from candidate_days
    inner join {{ ref('int_orders__versions') }} as orders
        on candidate_days.checkout_id = orders.checkout_id
        and {{ listenloop.valid_at('orders', 'candidate_days.cutoff_at') }}
    where not orders.is_voided
        and orders.created_at <= candidate_days.abandoned_at

),

abandoned as (

    select candidate_days.*
    from candidate_days
    left join completed_in_time
        on candidate_days.list_date = completed_in_time.list_date
        and candidate_days.checkout_id = completed_in_time.checkout_id
    where completed_in_time.checkout_id is null

),

guests_matched as (

    select
        abandoned.list_date,
        abandoned.checkout_id,
        min(customers.customer_id) as customer_id
    from abandoned
    inner join {{ ref('int_customers__versions') }} as customers
        on abandoned.email = customers.email
        and {{ listenloop.valid_at('customers', 'abandoned.cutoff_at') }}
    where abandoned.customer_id is null
    group by abandoned.list_date, abandoned.checkout_id

)

select
    abandoned.list_date,
    'cart_abandoner' as segment,
    abandoned.checkout_id as trigger_id,
    coalesce(abandoned.customer_id, guests_matched.customer_id) as customer_id,
    abandoned.abandoned_at as trigger_at,
    abandoned.call_window_start,
    abandoned.call_window_end,
    abandoned.total as value_amount,
    abandoned.currency,
    'Abandoned a ' || {{ listenloop.money_text('abandoned.total', 'abandoned.currency') }}
        || ' cart with ' || coalesce(cast(abandoned.items_count as {{ dbt.type_string() }}), 'some')
        || case when abandoned.items_count = 1 then ' item' else ' items' end
        || ' on ' || {{ listenloop.day_time_text('abandoned.valid_from') }} as reason,
    abandoned.email as checkout_email,
    abandoned.phone as checkout_phone,
    abandoned.created_at as checkout_created_at
from abandoned
left join guests_matched
    on abandoned.list_date = guests_matched.list_date
    and abandoned.checkout_id = guests_matched.checkout_id
