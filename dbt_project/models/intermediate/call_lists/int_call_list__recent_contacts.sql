{#-
    Candidates whose customer or phone was reached for something else within
    var('recent_contact_days') days before the list date's cutoff (rule 3, recent_contact): the
    same customer on a connected outbound call that is not one of this trigger's own attempts, or
    the same phone on a connected outbound call to someone else or to nobody known (a guest
    checkout with a customer's phone, customers sharing one). Attempts are counted per customer,
    so a guest's own connected call lands here too: reached, it is not called again.
    Its own table, like int_call_list__attempts, so that int_call_list__checks fits in 4 GB at
    1,000,000 customers.
-#}
with

-- one read of the calls view (it normalises phones) for both ways of being reached
outbound_calls as (

    select customer_id, phone, campaign, started_at
    from {{ ref('stg_telephony__calls') }}
    where direction = 'outbound' and is_connected

)

select candidates.list_date, candidates.segment, candidates.trigger_id
from {{ ref('int_call_list__candidates') }} as candidates
inner join outbound_calls
    on candidates.customer_id = outbound_calls.customer_id
    and outbound_calls.started_at < candidates.cutoff_at
    and outbound_calls.started_at
        >= {{ dbt.dateadd('day', -1 * var('recent_contact_days'), 'candidates.cutoff_at') }}
where coalesce(outbound_calls.campaign, '') <> candidates.segment
    or outbound_calls.started_at < candidates.trigger_at
    or outbound_calls.started_at >= candidates.call_window_end

union

select candidates.list_date, candidates.segment, candidates.trigger_id
from {{ ref('int_call_list__candidates') }} as candidates
inner join outbound_calls as phone_calls
    on candidates.phone_e164 = phone_calls.phone
    and phone_calls.started_at < candidates.cutoff_at
    and phone_calls.started_at
        >= {{ dbt.dateadd('day', -1 * var('recent_contact_days'), 'candidates.cutoff_at') }}
where phone_calls.customer_id is null
    or candidates.customer_id is null
    or phone_calls.customer_id <> candidates.customer_id
