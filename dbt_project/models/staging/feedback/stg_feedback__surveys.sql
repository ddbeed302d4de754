with

source as (

    select * from {{ source('feedback', 'surveys') }}

),

renamed as (

    select

        ----------  ids
        survey_id,
        customer_id,
        call_id,
        order_id,

        ---------- strings
        channel,
        comment,

        ---------- numerics
        nps,
        csat,
        ces,
        case
            when nps >= 9 then 'promoter'
            when nps >= 7 then 'passive'
            when nps >= 0 then 'detractor'
        end as nps_group,

        ---------- timestamps
        submitted_at,

        ---------- lineage
        _source_file,
        _source_row

    from source

)

select * from renamed
