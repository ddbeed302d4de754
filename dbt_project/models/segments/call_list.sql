{#-
    The list of day D (var('as_of_date')): the treatment members to call, one row per customer,
    taken from call_list_history with the arm, priority and talking points they were written
    with. A member stays on the list only while int_call_list__members still finds it eligible
    as of D's cutoff and its call window is still open then, so an intraday refresh (var
    list_cutoff_at) takes off a customer who has ordered, been reached or opted out since the list
    was written, or whose 24-48 h window has closed, while the history keeps them.
-#}
select
    history.list_date,
    history.customer_id,
    history.first_name,
    history.phone_e164,
    history.segment,
    history.trigger_id,
    history.trigger_at,
    history.call_window_start,
    history.call_window_end,
    history.priority,
    history.attempt_number,
    history.reason,
    history.talking_points,
    history.playbook
from {{ ref('call_list_history') }} as history
inner join {{ ref('int_call_list__members') }} as members
    on history.list_date = members.list_date
    and history.segment = members.segment
    and history.trigger_id = members.trigger_id
    and members.suppression_rule is null
-- a call window that closed before the cutoff (an intraday refresh late in the day) is over
inner join {{ ref('int_call_list__dates') }} as dates
    on history.list_date = dates.list_date
    and history.call_window_end > dates.cutoff_at
where history.list_date = {{ listenloop.as_of_date() }}
    and history.arm = 'treatment'
    and history.status = 'listed'
