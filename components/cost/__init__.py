"""The cost model: what a program declares (``inventory``), AWS unit prices as dated data
(``prices``), instance sizes and allocatable room (``instances``), the bin-packing of the pods
onto the node groups (``capacity``), the stated usage and Spot assumptions (``assumptions``),
the itemised bill and baseline (``infra``), the monthly estimate built from them (``model``)
and the lever table (``levers``). No Pulumi import in the computation: the ``tools cost``/``tools
diff`` commands feed it a mock run's registrations, and the program feeds it the resources it
declares (``stacks/costs.py``), so both compute the same figure one way.
"""
