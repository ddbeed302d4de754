{#
    Fails for each combination of the given columns that occurs more than once. Nulls compare
    equal (GROUP BY semantics), so a grain with nullable columns is still checked.
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

select
    {{ combination_of_columns | join(', ') }},
    count(*) as occurrences
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1

{% endtest %}
