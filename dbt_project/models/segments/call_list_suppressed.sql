{#-
    Every segment candidate left off a list, per list date from the first day of data up to D,
    with the first suppression rule that fired (see int_call_list__members). Rebuilt each run
    from what was known at each day's cutoff.
-#}
select
    list_date,
    customer_id,
    segment,
    trigger_id,
    trigger_at,
    call_window_start,
    call_window_end,
    cast(suppression_rule as integer) as suppression_rule,
    suppression_reason
from {{ ref('int_call_list__members') }}
where suppression_rule is not null
