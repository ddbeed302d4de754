{#-
    Outbound attempts so far for each candidate that had any: one row per (list date, segment,
    trigger). A call counts for a trigger when it is outbound, to the same customer, tagged with
    the segment (campaign), and started between the trigger and the end of its call window, before
    the list date's cutoff. Its own table: at 1,000,000 customers it has 7.9 million rows, and
    joined to the candidates in the same query as the other rules it did not fit in 4 GB.
-#}
select
    candidates.list_date,
    candidates.segment,
    candidates.trigger_id,
    count(*) as attempts_before,
    sum(case when calls.is_connected then 1 else 0 end) as connects_before
from {{ ref('int_call_list__candidates') }} as candidates
inner join {{ ref('stg_telephony__calls') }} as calls
    on candidates.customer_id = calls.customer_id
    and candidates.segment = calls.campaign
    and calls.started_at >= candidates.trigger_at
    and calls.started_at < candidates.call_window_end
    and calls.started_at < candidates.cutoff_at
where calls.direction = 'outbound'
group by candidates.list_date, candidates.segment, candidates.trigger_id
