{#-
    The list of day D (var('as_of_date')): the treatment members to call, one row per customer,
    taken from call_list_history so a past day reads exactly as it was written.
-#}
select
    list_date,
    customer_id,
    first_name,
    phone_e164,
    segment,
    trigger_id,
    trigger_at,
    call_window_start,
    call_window_end,
    priority,
    attempt_number,
    reason,
    talking_points,
    playbook
from {{ ref('call_list_history') }}
where list_date = {{ listenloop.as_of_date() }}
    and arm = 'treatment'
    and status = 'listed'
