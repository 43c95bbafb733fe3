-- One outline per EPCI for deck.gl's Polygon layer, which draws one outer ring per row (its auto-zoom cannot
-- read nested rings): the outer ring of the EPCI's main part, as JSON [[lon, lat], …]; holes are not drawn.
select code_epci,
       case json_extract_string(geojson, '$.type')
           -- the outer ring of the part with most points (the mainland part of an EPCI with islands)
           when 'MultiPolygon' then list_sort(list_transform(
               json_extract(geojson, '$.coordinates')::json[],
               p -> {'n': json_array_length(p, '$[0]'), 'anneau': json_extract(p, '$[0]')}), 'DESC')[1].anneau
           else json_extract(geojson, '$.coordinates[0]')
       end::varchar as contour
from {{ ref('int_geo__contours_epci') }}
